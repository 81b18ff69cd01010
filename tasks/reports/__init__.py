"""Report and clinical-CSV anonymisation: a recognizer engine (rules, gazetteers, spaCy NER).

Importing this package is cheap: spaCy and the data files load on first use.
"""
