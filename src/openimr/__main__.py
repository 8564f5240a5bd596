from openimr.cli import main

main()
