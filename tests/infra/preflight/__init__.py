"""`make preflight`: what each check asks AWS, the row it makes of the answer, and that one denied
or failing call never hides the others.

The AWS calls go through real boto3 clients with botocore's Stubber, so every request and every
canned response is checked against the service model as well. The configuration is the real one
(cdk.json's dev and prod profiles), built by the same `load_config` the app uses.
"""
