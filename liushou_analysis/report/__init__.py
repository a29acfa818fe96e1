"""Report: the term report county offices publish.

``runner`` executes the notebooks in ``notebooks/`` and writes the pages,
``disclosure`` suppresses small cells, ``narrative`` writes the generated
sentences, ``plotting`` draws with the bundled CJK font, and ``templates``
hold the HTML page. May import every layer below it (not ``cli`` or
``synth``).
"""
