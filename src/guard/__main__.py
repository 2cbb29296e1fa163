from guard.console import main

raise SystemExit(main())
