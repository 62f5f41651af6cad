"""The ``newsloom`` command (click + rich), one module per command group, calling ``newsloom.app``.

``main`` is the console-script entry point; ``cli`` is the click group (tests invoke it directly).
"""

from newsloom.cli.main import cli, main

__all__ = ["cli", "main"]
