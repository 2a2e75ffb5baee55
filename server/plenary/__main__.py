from plenary.cli import main

raise SystemExit(main())
