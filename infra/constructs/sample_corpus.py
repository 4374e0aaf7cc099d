"""A small sample corpus, deployed into the documents bucket so the knowledge base can be tried
right after the first deploy: the platform's own explanations of its stacks and the AWS
concepts they teach (infra/sample_corpus/).

It needs no manual sync: the objects it writes raise the same S3 events as any upload, and the
ingestion glue, deployed first, turns them into an ingestion job.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.constructs.lambda_role import lambda_role
from infra.constructs.log_group import EncryptedLogGroup, LogSettings
from infra.policy import accept_cdk_singleton_function, acknowledge, nag_arn

CORPUS = Path(__file__).resolve().parents[1] / "sample_corpus"
CORPUS_FOLDER = "platform-guide/"


class SampleCorpus(Construct):
    """The files of infra/sample_corpus/, copied to `documents_prefix` + "platform-guide/" in
    `documents_bucket` (encrypted with `documents_key`) by the CDK's BucketDeployment, with a role
    of ours that may write that folder only. Files removed from the corpus are removed from the
    folder; with `retain_on_delete` the copies outlive the stack. With `reserve_concurrency` the
    deployment's handler reserves one concurrent execution.

    Attributes: `prefix` (where the corpus lands), `deployment` (to make it wait for the consumer
    of its uploads' events).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        documents_bucket: s3.IBucket,
        documents_key: kms.IKey,
        documents_prefix: str,
        log_settings: LogSettings,
        retain_on_delete: bool = False,
        reserve_concurrency: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.prefix = f"{documents_prefix}{CORPUS_FOLDER}"

        log_group = EncryptedLogGroup(self, "Logs", settings=log_settings).log_group
        # Where `cdk deploy` stages file assets (the default synthesizer's bootstrap bucket).
        staged_assets = (
            f"arn:{stack.partition}:s3:::cdk-{cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-"
            f"{stack.account}-{stack.region}"
        )
        # The deployment's handler role: read the staged asset, write this folder, nothing more.
        role, policy = lambda_role(
            self,
            role_id="Role",
            policy_id="Policy",
            role_description="Copies the sample corpus into the documents bucket",
            policy_description=(
                "Read the staged sample corpus; write it under its folder of the documents bucket"
            ),
            log_group=log_group,
            statements=[
                iam.PolicyStatement(
                    sid="ReadStagedAsset", actions=["s3:GetObject"], resources=[f"{staged_assets}/*"]
                ),
                iam.PolicyStatement(
                    sid="ListCorpusFolder",
                    actions=["s3:ListBucket"],
                    resources=[documents_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{self.prefix}*"]}},
                ),
                iam.PolicyStatement(
                    sid="WriteCorpusFolder",
                    actions=["s3:PutObject", "s3:DeleteObject"],
                    resources=[documents_bucket.arn_for_objects(f"{self.prefix}*")],
                ),
                iam.PolicyStatement(
                    sid="EncryptWithTheDocumentsKey",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[documents_key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
                ),
            ],
        )
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Deployment",
            sources=[s3deploy.Source.asset(str(CORPUS))],
            destination_bucket=documents_bucket,
            destination_key_prefix=self.prefix,
            # Only this folder is the deployment's: files removed from the corpus are removed here.
            prune=True,
            retain_on_delete=retain_on_delete,
            role=role.without_policy_updates(),
            log_group=log_group,
            memory_limit=256,
        )
        self.deployment.node.add_dependency(policy)
        wildcards = [f"{nag_arn(staged_assets)}/*"]
        # cdk-nag names the finding after the ARN as written: known here for a bucket named by its
        # name; a bucket of another stack's output has no such name yet, and its app acknowledges it.
        corpus_objects = nag_arn(documents_bucket.arn_for_objects(self.prefix))
        if not cdk.Token.is_unresolved(corpus_objects):
            wildcards.append(f"{corpus_objects}*")
        acknowledge(
            policy,
            "The staged asset's object key is a content hash chosen at synth, and the corpus's object "
            "names are the corpus files': the wildcards stop at the assets bucket and at the corpus "
            "folder of the documents bucket.",
            *(f"AwsSolutions::AwsSolutions-IAM5[Resource::{arn}]" for arn in wildcards),
        )
        handler = next(
            child for child in stack.node.children if child.node.id.startswith("Custom::CDKBucketDeployment")
        )
        accept_cdk_singleton_function(
            handler,
            reserve_concurrency=reserve_concurrency,
            policy=policy,
            network_reason="The CDK's bucket-deployment handler answers CloudFormation through a presigned "
            "URL of an AWS-owned S3 bucket and reads the staged asset from the bootstrap bucket; it runs "
            "only during deploys, with no network path into the VPC's workloads.",
        )
        acknowledge(
            handler,
            "The CDK pins this handler's runtime together with the AWS CLI layer it runs with; "
            "raising it here would run a CDK-owned handler on a runtime the CDK has not tested.",
            "AwsSolutions::AwsSolutions-L1",
        )
