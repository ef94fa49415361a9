"""Printable documents for the route to the provincial department, as PDF bytes.

Pure functions of plain data: no database, no web framework, so each is tested alone and the
routes (or the command line) only gather the data. reportlab draws them with its built-in
CID font ``STSong-Light``, which every PDF reader shows without an embedded font file.
"""
