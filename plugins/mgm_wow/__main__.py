"""``python -m mgm_wow``: run the WoW client simulator (see ``mgm_wow.simulator_app.main``)."""

import sys

from mgm_wow.simulator_app import main

sys.exit(main())
