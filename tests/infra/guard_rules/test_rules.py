"""Each GenAI policy rule: a compliant and a non-compliant template (and the edge it draws)."""

from __future__ import annotations

import pytest

from tests.infra.guard_rules.conftest import RULES, Check

KEY = {"Fn::GetAtt": ["Key", "Arn"]}


def resource(resource_type: str, **properties: object) -> dict:
    return {"Type": resource_type, "Properties": properties}


def test_every_rule_file_is_tested() -> None:
    tested = {name.removeprefix("test_").split("__")[0] for name in globals() if name.startswith("test_")}
    assert {path.stem for path in RULES.glob("*.guard")} <= tested


def test_bedrock_agent_customer_key(passes: Check) -> None:
    rule = "bedrock_agent_customer_key"
    assert passes(
        rule, {"Agent": resource("AWS::Bedrock::Agent", AgentName="a", CustomerEncryptionKeyArn=KEY)}
    )
    assert not passes(rule, {"Agent": resource("AWS::Bedrock::Agent", AgentName="a")})


def test_bedrock_agent_guardrail(passes: Check) -> None:
    rule = "bedrock_agent_guardrail"
    pinned = {"GuardrailIdentifier": "g", "GuardrailVersion": {"Fn::GetAtt": ["Version", "Version"]}}
    assert passes(rule, {"Agent": resource("AWS::Bedrock::Agent", GuardrailConfiguration=pinned)})
    assert not passes(rule, {"Agent": resource("AWS::Bedrock::Agent", AgentName="a")})
    draft = {"GuardrailIdentifier": "g", "GuardrailVersion": "DRAFT"}
    assert not passes(rule, {"Agent": resource("AWS::Bedrock::Agent", GuardrailConfiguration=draft)})


def test_bedrock_guardrail_customer_key(passes: Check) -> None:
    rule = "bedrock_guardrail_customer_key"
    assert passes(rule, {"Guardrail": resource("AWS::Bedrock::Guardrail", Name="g", KmsKeyArn=KEY)})
    assert not passes(rule, {"Guardrail": resource("AWS::Bedrock::Guardrail", Name="g")})


def test_bedrock_knowledge_base_customer_key(passes: Check) -> None:
    rule = "bedrock_knowledge_base_customer_key"
    encrypted = {"KmsKeyArn": KEY}
    assert passes(
        rule, {"Source": resource("AWS::Bedrock::DataSource", ServerSideEncryptionConfiguration=encrypted)}
    )
    assert not passes(rule, {"Source": resource("AWS::Bedrock::DataSource", Name="d")})
    assert not passes(
        rule, {"Source": resource("AWS::Bedrock::DataSource", ServerSideEncryptionConfiguration={})}
    )


@pytest.mark.parametrize("resource_type", ["AWS::S3Vectors::VectorBucket", "AWS::S3Vectors::Index"])
def test_s3_vectors_customer_key(passes: Check, resource_type: str) -> None:
    rule = "s3_vectors_customer_key"
    kms = {"SseType": "aws:kms", "KmsKeyArn": KEY}
    assert passes(rule, {"Vectors": resource(resource_type, EncryptionConfiguration=kms)})
    assert not passes(
        rule, {"Vectors": resource(resource_type, EncryptionConfiguration={"SseType": "AES256"})}
    )
    assert not passes(rule, {"Vectors": resource(resource_type, VectorBucketName="v")})


def test_sagemaker_model_isolated_in_vpc(passes: Check) -> None:
    rule = "sagemaker_model_isolated_in_vpc"
    vpc = {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}
    assert passes(
        rule, {"Model": resource("AWS::SageMaker::Model", EnableNetworkIsolation=True, VpcConfig=vpc)}
    )
    assert not passes(
        rule, {"Model": resource("AWS::SageMaker::Model", EnableNetworkIsolation=False, VpcConfig=vpc)}
    )
    assert not passes(rule, {"Model": resource("AWS::SageMaker::Model", EnableNetworkIsolation=True)})


def test_sagemaker_endpoint_volume_key(passes: Check) -> None:
    rule = "sagemaker_endpoint_volume_key"

    def config(instance_type: str | None, **properties: object) -> dict:
        variant = {"VariantName": "AllTraffic"}
        variant |= (
            {"InstanceType": instance_type} if instance_type else {"ServerlessConfig": {"MaxConcurrency": 1}}
        )
        return {
            "Config": resource("AWS::SageMaker::EndpointConfig", ProductionVariants=[variant], **properties)
        }

    assert passes(rule, config("ml.inf2.xlarge", KmsKeyId=KEY))
    assert not passes(rule, config("ml.inf2.xlarge"))
    assert not passes(rule, config("ml.m5.large"))
    # Local NVMe storage rejects a key; serverless has no volume.
    for nvme in ("ml.g5.xlarge", "ml.g4dn.xlarge", "ml.trn1.2xlarge", "ml.m5d.large", "ml.c5d.xlarge"):
        assert passes(rule, config(nvme)), nvme
    assert passes(rule, config(None))


def test_sagemaker_async_error_topic(passes: Check) -> None:
    rule = "sagemaker_async_error_topic"

    def config(notification: dict | None) -> dict:
        output = {"S3OutputPath": "s3://b/o/"} | (
            {"NotificationConfig": notification} if notification else {}
        )
        return {
            "Config": resource(
                "AWS::SageMaker::EndpointConfig", AsyncInferenceConfig={"OutputConfig": output}
            )
        }

    assert passes(rule, config({"ErrorTopic": {"Ref": "Errors"}, "SuccessTopic": {"Ref": "Results"}}))
    assert not passes(rule, config({"SuccessTopic": {"Ref": "Results"}}))
    assert not passes(rule, config(None))
    # A real-time endpoint config is not in scope.
    assert passes(rule, {"Config": resource("AWS::SageMaker::EndpointConfig", ProductionVariants=[])})


def test_iam_no_service_wildcard(passes: Check) -> None:
    rule = "iam_no_service_wildcard"

    def policy(action: object, effect: str = "Allow") -> dict:
        statement = {"Effect": effect, "Action": action, "Resource": "arn:aws:s3:::b"}
        return {"Policy": resource("AWS::IAM::ManagedPolicy", PolicyDocument={"Statement": [statement]})}

    assert passes(rule, policy(["bedrock:InvokeModel", "sagemaker:DescribeEndpoint"]))
    assert passes(rule, policy("bedrock:Retrieve"))
    assert passes(rule, policy("sagemaker:*", effect="Deny"))
    for wildcard in ("bedrock:*", "sagemaker:*", "*"):
        assert not passes(rule, policy(wildcard)), wildcard
        assert not passes(rule, policy(["s3:GetObject", wildcard])), wildcard


def test_lambda_async_dead_letter(passes: Check) -> None:
    rule = "lambda_async_dead_letter"

    def template(principal: str, dead_letter: bool) -> dict:
        function = resource("AWS::Lambda::Function", Handler="h")
        if dead_letter:
            function["Properties"]["DeadLetterConfig"] = {"TargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}}
        permission = resource(
            "AWS::Lambda::Permission",
            Action="lambda:InvokeFunction",
            Principal=principal,
            FunctionName={"Fn::GetAtt": ["Function", "Arn"]},
        )
        return {"Function": function, "Permission": permission}

    for principal in ("events.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com"):
        assert passes(rule, template(principal, dead_letter=True)), principal
        assert not passes(rule, template(principal, dead_letter=False)), principal
    # Synchronous callers are out of scope.
    assert passes(rule, template("bedrock.amazonaws.com", dead_letter=False))
