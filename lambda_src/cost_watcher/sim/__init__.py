"""The simulated account (moto) for the demo and the tests. Never shipped to Lambda."""
