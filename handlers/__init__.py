"""The edges through which people reach Ragtime, one package per channel (``slack`` today).

A handler parses what arrived, makes one ``bot`` call and draws the answer; it holds no business
rules and never opens a database session.
"""
