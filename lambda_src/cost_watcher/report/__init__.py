"""Words for people: the terminal table, the digest, its delivery."""
