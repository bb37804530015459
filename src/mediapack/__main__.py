"""Allow ``python -m mediapack``."""

from .cli import main

main()
