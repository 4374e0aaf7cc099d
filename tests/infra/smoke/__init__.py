"""`make smoke`: every AWS request each step sends, its PASS and FAIL verdicts, the bounded waits,
the cleanup, and the one-line errors that stop a run before its steps.

The AWS calls go through real boto3 clients with botocore's Stubber, so each request is checked
against the service model and against the parameters expected here; the clients come from the
factory `smoke.main` takes, and the clock is fake: every wait is instant and its length is known.
The Stubber cannot return an event stream: InvokeHarness events are put into the parsed response
by an after-call hook, as tests/infra/ask/stubs.py does.
"""
