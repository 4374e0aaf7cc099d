"""What a Bedrock knowledge base needs of its vector store, whichever service holds the vectors.

`S3VectorStore` (Amazon S3 Vectors) and `OpenSearchServerlessVectorStore` implement it; the
`KnowledgeBase` construct uses nothing else of them, so a store of another kind touches only its
own module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam


@runtime_checkable
class VectorStore(Protocol):
    def storage_configuration(self) -> bedrock.CfnKnowledgeBase.StorageConfigurationProperty:
        """The knowledge base's StorageConfiguration: where it writes and queries vectors."""
        ...

    def storage_dependencies(self) -> Sequence[cdk.CfnResource]:
        """What the knowledge base must wait for beyond what `storage_configuration()` references
        (Bedrock checks the index when it creates the knowledge base); empty if nothing."""
        ...

    def grant_knowledge_base(self, role: iam.IRole, policy: iam.ManagedPolicy) -> None:
        """Let a knowledge base's service `role` read and write vectors: IAM statements, with the
        store's KMS use, go to `policy` (attached to `role`); a store with an access policy of its
        own names `role` there too."""
        ...
