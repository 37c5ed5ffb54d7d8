"""Organization mode: the same run() once per (account, region) of an AWS Organization, merged into one report."""
