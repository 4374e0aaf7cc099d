"""`make ask`: the InvokeHarness request it sends, the one-line errors a user can cause, and how the
answer's event stream is printed.

The AWS calls go through real boto3 clients with botocore's Stubber (so the request is checked
against the service model too). The Stubber cannot return an event stream: the events are put into
the parsed response by an after-call hook, or handed to `render` directly.
"""
