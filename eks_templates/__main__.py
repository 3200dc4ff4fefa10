import sys

from eks_templates.cli import main

sys.exit(main())
