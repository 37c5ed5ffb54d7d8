"""Pure decisions: tags, prices, the signal table, verdicts and scores, the reclaim policy. No boto3."""
