"""The two ways in: the Lambda handler and the command line."""
