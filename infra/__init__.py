"""The CDK app of cost-watcher: one module per concern, wired together by stack.py."""
