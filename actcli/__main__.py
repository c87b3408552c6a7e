"""`python -m actcli` runs the command line."""

import sys

from actcli.cli import main

sys.exit(main())
