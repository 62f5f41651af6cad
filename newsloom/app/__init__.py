"""Use cases shared by every front end (the CLI, the web app, later the job workers).

A use case takes a store (and settings when it needs them), checks its input, calls the stages and
the store, and returns plain data; it prints nothing and knows no front end. Bad input raises a
``NewsloomError`` whose message names the input.
"""
