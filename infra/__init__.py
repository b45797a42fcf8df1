"""The AWS side of Game Stream Trends as an AWS CDK app (app.py): docs/operations.md, "Running on AWS"."""
