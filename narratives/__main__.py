"""`python -m narratives` runs the command line."""

from .cli import main

main()
