"""SampleCorpus: the platform guide, copied under the documents prefix by a role that may write
only that folder."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from infra.constructs.log_group import LogSettings
from infra.constructs.sample_corpus import CORPUS_FOLDER, SampleCorpus
from tests.infra.constructs.conftest import statement_with_sid, template_of


def corpus_in(
    stack: cdk.Stack, key: kms.IKey, log_settings: LogSettings, *, retain: bool = False, reserve: bool = False
) -> SampleCorpus:
    return SampleCorpus(
        stack,
        "Corpus",
        documents_bucket=s3.Bucket.from_bucket_name(stack, "Named", "docs-bucket"),
        documents_key=key,
        documents_prefix="docs/",
        log_settings=log_settings,
        retain_on_delete=retain,
        reserve_concurrency=reserve,
    )


@pytest.fixture
def corpus(stack: cdk.Stack, key: kms.Key, log_settings: LogSettings) -> SampleCorpus:
    return corpus_in(stack, key, log_settings)


def test_the_corpus_lands_in_its_folder_under_the_documents_prefix(
    stack: cdk.Stack, corpus: SampleCorpus
) -> None:
    assert corpus.prefix == f"docs/{CORPUS_FOLDER}"
    [deployment] = template_of(stack).find_resources("Custom::CDKBucketDeployment").values()
    properties = deployment["Properties"]
    assert properties["DestinationBucketName"] == "docs-bucket"
    assert properties["DestinationBucketKeyPrefix"] == corpus.prefix
    assert properties["Prune"] is True
    assert properties["RetainOnDelete"] is False
    # The handler's permissions exist before it runs.
    assert any(d.startswith("CorpusPolicy") for d in deployment["DependsOn"])


def test_the_role_may_read_the_staged_asset_and_write_only_the_corpus_folder(
    stack: cdk.Stack, corpus: SampleCorpus
) -> None:
    template = template_of(stack)
    staged = statement_with_sid(template, "ReadStagedAsset")
    assert staged["Action"] == "s3:GetObject"
    assert "cdk-hnb659fds-assets-111122223333-us-east-1/*" in json.dumps(staged["Resource"])
    listing = statement_with_sid(template, "ListCorpusFolder")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"docs/{CORPUS_FOLDER}*"]}}
    write = statement_with_sid(template, "WriteCorpusFolder")
    assert sorted(write["Action"]) == ["s3:DeleteObject", "s3:PutObject"]
    assert json.dumps(write["Resource"]).endswith(f':s3:::docs-bucket/docs/{CORPUS_FOLDER}*"]]}}')
    encrypt = statement_with_sid(template, "EncryptWithTheDocumentsKey")
    assert encrypt["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    template.resource_count_is("AWS::IAM::Policy", 0)


@pytest.mark.parametrize(("retain", "reserve"), [(True, True), (False, False)])
def test_retention_and_reserved_concurrency_are_choices(
    stack: cdk.Stack, key: kms.Key, log_settings: LogSettings, retain: bool, reserve: bool
) -> None:
    corpus_in(stack, key, log_settings, retain=retain, reserve=reserve)
    template = template_of(stack)
    [deployment] = template.find_resources("Custom::CDKBucketDeployment").values()
    assert deployment["Properties"].get("RetainOnDelete", False) is retain
    [handler] = template.find_resources("AWS::Lambda::Function").values()
    assert handler["Properties"].get("ReservedConcurrentExecutions") == (1 if reserve else None)


def test_a_bucket_of_another_stack_is_accepted(
    stack: cdk.Stack, bucket: s3.Bucket, key: kms.Key, log_settings: LogSettings
) -> None:
    """Its ARN is a reference: the wildcard finding is then the app's to acknowledge."""
    SampleCorpus(
        stack,
        "Corpus",
        documents_bucket=bucket,
        documents_key=key,
        documents_prefix="docs/",
        log_settings=log_settings,
    )
    template_of(stack).resource_count_is("Custom::CDKBucketDeployment", 1)
