"""`python -m deerin` runs the command line."""

from deerin.cli.main import main

main()
