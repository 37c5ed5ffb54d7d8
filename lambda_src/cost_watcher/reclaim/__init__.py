"""Record, then act, then say what happened: actions, ledger, journal, restore."""
