"""The composition root: the only package that imports every layer.

``cli`` parses a command and makes one ``bot`` call; ``app`` builds the Bolt app on its context
(with the one error handler) and serves it; ``wiring`` builds the contexts and fills the
domain's ports with their channel implementations.
"""
