import sys

from srllm.cli import main

sys.exit(main())
