"""OpenSearchServerlessVectorStore: a collection, its three policies and Bedrock's index."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from infra.constructs.opensearch_vector_store import (
    INDEX_NAME,
    METADATA_FIELD,
    TEXT_FIELD,
    VECTOR_FIELD,
    OpenSearchServerlessVectorStore,
)
from tests.infra.constructs.conftest import statement_with_sid, template_of


def store_in(
    stack: cdk.Stack, key: kms.IKey, *, standby_replicas: bool = False
) -> OpenSearchServerlessVectorStore:
    return OpenSearchServerlessVectorStore(
        stack,
        "Store",
        collection_name="under-test",
        dimensions=512,
        key=key,
        standby_replicas=standby_replicas,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )


@pytest.fixture
def store(stack: cdk.Stack, key: kms.Key) -> OpenSearchServerlessVectorStore:
    return store_in(stack, key)


def data_access(stack: cdk.Stack) -> tuple[list, dict]:
    [access] = template_of(stack).find_resources("AWS::OpenSearchServerless::AccessPolicy").values()
    text, variables = access["Properties"]["Policy"]["Fn::Sub"]
    return json.loads(text), variables


@pytest.mark.parametrize("name", ["ab", "Upper-case", "a-name-longer-than-the-policies-allow"])
def test_a_collection_name_the_service_rejects_fails_at_synth(
    stack: cdk.Stack, key: kms.Key, name: str
) -> None:
    with pytest.raises(ValueError, match="collection_name"):
        OpenSearchServerlessVectorStore(
            stack,
            "Store",
            collection_name=name,
            dimensions=512,
            key=key,
            standby_replicas=False,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )


@pytest.mark.parametrize(("standby", "expected"), [(False, "DISABLED"), (True, "ENABLED")])
def test_standby_replicas_are_a_choice(stack: cdk.Stack, key: kms.Key, standby: bool, expected: str) -> None:
    store_in(stack, key, standby_replicas=standby)
    template_of(stack).has_resource_properties(
        "AWS::OpenSearchServerless::Collection",
        {"Name": "under-test", "Type": "VECTORSEARCH", "StandbyReplicas": expected},
    )


def test_the_collection_is_encrypted_with_the_key_and_waits_for_its_policies(
    stack: cdk.Stack, store: OpenSearchServerlessVectorStore
) -> None:
    template = template_of(stack)
    policies = {
        p["Properties"]["Type"]: (logical_id, p["Properties"])
        for logical_id, p in template.find_resources("AWS::OpenSearchServerless::SecurityPolicy").items()
    }
    text, variables = policies["encryption"][1]["Policy"]["Fn::Sub"]
    assert json.loads(text)["KmsARN"] == "${KeyArn}"
    assert "FnGetAttKey" in json.dumps(variables["KeyArn"])
    assert all(len(p["Name"]) <= 32 for _, p in policies.values())
    [collection] = template.find_resources("AWS::OpenSearchServerless::Collection").values()
    assert sorted(collection["DependsOn"]) == sorted(logical_id for logical_id, _ in policies.values())


def test_without_a_grant_only_the_deployer_may_use_the_collection(
    stack: cdk.Stack, store: OpenSearchServerlessVectorStore
) -> None:
    [rule_set], variables = data_access(stack)
    assert rule_set["Principal"] == ["${Deployer}"]
    assert "cfn-exec-role" in json.dumps(variables["Deployer"])


def test_the_knowledge_base_grant_names_its_role_in_the_data_access_policy_and_allows_the_api(
    stack: cdk.Stack, store: OpenSearchServerlessVectorStore
) -> None:
    role = iam.Role(stack, "KbRole", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
    store.grant_knowledge_base(role, iam.ManagedPolicy(stack, "KbPolicy", roles=[role]))
    [rule_set], variables = data_access(stack)
    assert rule_set["Principal"] == ["${ReaderWriter}", "${Deployer}"]
    assert variables["ReaderWriter"] == stack.resolve(role.role_arn)
    permissions = {p for rule in rule_set["Rules"] for p in rule["Permission"]}
    assert "aoss:DeleteIndex" not in permissions
    assert not any(p.endswith("*") for p in permissions)
    access = statement_with_sid(template_of(stack), "VectorCollectionAccess")
    assert access["Action"] == "aoss:APIAccessAll"
    assert access["Resource"] == stack.resolve(store.collection_arn)


def test_the_index_has_bedrocks_fields_and_the_knowledge_base_waits_for_it(
    stack: cdk.Stack, store: OpenSearchServerlessVectorStore
) -> None:
    [index] = template_of(stack).find_resources("AWS::OpenSearchServerless::Index").values()
    fields = index["Properties"]["Mappings"]["Properties"]
    assert index["Properties"]["IndexName"] == INDEX_NAME
    assert fields[VECTOR_FIELD]["Dimension"] == 512
    assert fields[TEXT_FIELD] == {"Type": "text", "Index": True}
    assert fields[METADATA_FIELD] == {"Type": "text", "Index": False}
    assert [stack.get_logical_id(r) for r in store.storage_dependencies()] == [
        stack.get_logical_id(store.index)
    ]
    mapping = stack.resolve(store.storage_configuration())["opensearchServerlessConfiguration"]
    assert mapping["vectorIndexName"] == INDEX_NAME
    assert mapping["fieldMapping"] == {
        "vectorField": VECTOR_FIELD,
        "textField": TEXT_FIELD,
        "metadataField": METADATA_FIELD,
    }
