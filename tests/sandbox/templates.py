"""Small hand-written templates in the shape of the real ones (root + nested children)."""

from __future__ import annotations

import json
from typing import Any

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
BUCKET = "eks-templates-sandbox-tests"
AMI_PATH = "/aws/service/eks/optimized-ami/{version}/amazon-linux-2023/x86_64/standard/recommended/image_id"

_ASSUME_EKS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
_ASSUME_EC2 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def getatt(resource: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [resource, attribute]}


def url(key: str) -> str:
    """Path-style S3 URL of a template in the test bucket (one of the forms moto reads)."""
    return f"https://s3.{REGION}.amazonaws.com/{BUCKET}/{key}"


def upload(s3: Any, key: str, template: dict[str, Any]) -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(template).encode())
    return url(key)


def make_bucket(s3: Any) -> None:
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})


def network(nat: bool = True) -> dict[str, Any]:
    """VPC, two public and two private subnets in two AZs, IGW, NAT gateway, routes."""
    resources: dict[str, Any] = {
        "VPC": {
            "Type": "AWS::EC2::VPC",
            "Properties": {"CidrBlock": ref("VpcCidr"), "Tags": [{"Key": "Name", "Value": ref("AWS::StackName")}]},
        },
        "InternetGateway": {"Type": "AWS::EC2::InternetGateway"},
        "VPCGatewayAttachment": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": ref("VPC"), "InternetGatewayId": ref("InternetGateway")},
        },
        "PublicRouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("VPC")}},
        "PublicSubnetRoute": {
            "Type": "AWS::EC2::Route",
            "DependsOn": "VPCGatewayAttachment",
            "Properties": {
                "RouteTableId": ref("PublicRouteTable"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": ref("InternetGateway"),
            },
        },
        "PrivateRouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("VPC")}},
    }
    cidrs = {"PublicA": "0", "PublicC": "16", "PrivateA": "32", "PrivateC": "48"}
    for name, third in cidrs.items():
        zone = REGION + name[-1].lower()
        table = "PublicRouteTable" if name.startswith("Public") else "PrivateRouteTable"
        resources[f"Subnet{name}"] = {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": ref("VPC"),
                "CidrBlock": {"Fn::Sub": ["10.0.${Third}.0/20", {"Third": third}]},
                "AvailabilityZone": zone,
            },
        }
        resources[f"RouteTableAssociation{name}"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": ref(f"Subnet{name}"), "RouteTableId": ref(table)},
        }
    if nat:
        resources["NATIP"] = {
            "Type": "AWS::EC2::EIP",
            "DependsOn": "VPCGatewayAttachment",
            "Properties": {"Domain": "vpc"},
        }
        resources["NATGateway"] = {
            "Type": "AWS::EC2::NatGateway",
            "Properties": {"AllocationId": getatt("NATIP", "AllocationId"), "SubnetId": ref("SubnetPublicA")},
        }
        resources["PrivateSubnetRoute"] = {
            "Type": "AWS::EC2::Route",
            "Properties": {
                "RouteTableId": ref("PrivateRouteTable"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": ref("NATGateway"),
            },
        }
    join = lambda *names: {"Fn::Join": [",", [ref(f"Subnet{n}") for n in names]]}  # noqa: E731
    return {
        "Parameters": {"VpcCidr": {"Type": "String", "Default": "10.0.0.0/16"}},
        "Resources": resources,
        "Outputs": {
            "VpcId": {"Value": ref("VPC")},
            "SubnetIds": {"Value": join("PublicA", "PublicC", "PrivateA", "PrivateC")},
            "PrivateSubnetIds": {"Value": join("PrivateA", "PrivateC")},
        },
    }


def security(description: str = "nodes") -> dict[str, Any]:
    """Child B: a security group in child A's VPC (VpcId fed by GetAtt [A, Outputs.VpcId])."""
    return {
        "Parameters": {"VpcId": {"Type": "String"}, "Description": {"Type": "String", "Default": description}},
        "Resources": {
            "ClusterSharedNodeSecurityGroup": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": ref("Description"), "VpcId": ref("VpcId")},
            },
        },
        "Outputs": {"SharedNodeSecurityGroup": {"Value": ref("ClusterSharedNodeSecurityGroup")}},
    }


def control_plane(extra_resources: dict[str, Any] | None = None) -> dict[str, Any]:
    """Cluster with role, control-plane SG, a rule on the EKS-made SG, OIDC, add-on, access entry."""
    resources: dict[str, Any] = {
        "ServiceRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _ASSUME_EKS}},
        "ControlPlaneSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "control plane", "VpcId": ref("VpcId")},
        },
        "ControlPlane": {
            "Type": "AWS::EKS::Cluster",
            "Properties": {
                "Name": ref("ClusterName"),
                "Version": ref("KubernetesVersion"),
                "RoleArn": getatt("ServiceRole", "Arn"),
                "ResourcesVpcConfig": {
                    "SubnetIds": ref("SubnetIds"),
                    "SecurityGroupIds": [ref("ControlPlaneSecurityGroup")],
                    "EndpointPublicAccess": ref("EndpointPublicAccess"),
                    "EndpointPrivateAccess": ref("EndpointPrivateAccess"),
                },
                "AccessConfig": {"AuthenticationMode": "API", "BootstrapClusterCreatorAdminPermissions": True},
                "KubernetesNetworkConfig": {"ServiceIpv4Cidr": "172.20.0.0/16", "IpFamily": "ipv4"},
                "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}, {"Type": "audit"}]}},
                "Tags": [{"Key": "team", "Value": "platform"}],
            },
        },
        "IngressDefaultClusterToNodeSG": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": getatt("ControlPlane", "ClusterSecurityGroupId"),
                "SourceSecurityGroupId": ref("ControlPlaneSecurityGroup"),
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
            },
        },
        "OIDCProvider": {
            "Type": "AWS::IAM::OIDCProvider",
            "Properties": {
                "Url": getatt("ControlPlane", "OpenIdConnectIssuerUrl"),
                "ClientIdList": ["sts.amazonaws.com"],
            },
        },
        "AddonVpcCni": {
            "Type": "AWS::EKS::Addon",
            "Properties": {"ClusterName": ref("ControlPlane"), "AddonName": "vpc-cni", "ResolveConflicts": "OVERWRITE"},
        },
        "AccessEntryAdmin": {
            "Type": "AWS::EKS::AccessEntry",
            "Properties": {
                "ClusterName": ref("ControlPlane"),
                "PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/platform-admin",
                "AccessPolicies": [
                    {
                        "PolicyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                        "AccessScope": {"Type": "cluster"},
                    }
                ],
            },
        },
        **(extra_resources or {}),
    }
    return {
        "Parameters": {
            "VpcId": {"Type": "String"},
            "SubnetIds": {"Type": "CommaDelimitedList"},
            "ClusterName": {"Type": "String"},
            "KubernetesVersion": {"Type": "String", "Default": "1.33"},
            "EndpointPublicAccess": {"Type": "String", "Default": "true"},
            "EndpointPrivateAccess": {"Type": "String", "Default": "false"},
        },
        "Resources": resources,
        "Outputs": {
            "ClusterName": {"Value": ref("ControlPlane")},
            "ClusterArn": {"Value": getatt("ControlPlane", "Arn")},
            "Endpoint": {"Value": getatt("ControlPlane", "Endpoint")},
            "CertificateAuthorityData": {"Value": getatt("ControlPlane", "CertificateAuthorityData")},
            "ClusterSecurityGroupId": {"Value": getatt("ControlPlane", "ClusterSecurityGroupId")},
            "OIDCIssuer": {"Value": getatt("ControlPlane", "OpenIdConnectIssuerUrl")},
            "OIDCProviderArn": {"Value": getatt("OIDCProvider", "Arn")},
            "AddonArn": {"Value": getatt("AddonVpcCni", "Arn")},
            "AddonRef": {"Value": ref("AddonVpcCni")},
            "AccessEntryArn": {"Value": getatt("AccessEntryAdmin", "AccessEntryArn")},
        },
    }


def nodegroup(name: str = "ng-1", instance_type: str = "t3.large") -> dict[str, Any]:
    """Node role, launch template with an SSM-resolved AMI, managed nodegroup."""
    return {
        "Parameters": {
            "ClusterName": {"Type": "String"},
            "SubnetIds": {"Type": "CommaDelimitedList"},
            "MinSize": {"Type": "Number", "Default": 1},
            "DesiredSize": {"Type": "Number", "Default": 2},
            "MaxSize": {"Type": "Number", "Default": 4},
            "ImageId": {
                "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                "Default": AMI_PATH.format(version="1.33"),
            },
        },
        "Resources": {
            "NodeInstanceRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": _ASSUME_EC2}},
            "LaunchTemplate": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {
                    "LaunchTemplateData": {
                        "ImageId": ref("ImageId"),
                        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
                    }
                },
            },
            "ManagedNodeGroup": {
                "Type": "AWS::EKS::Nodegroup",
                "Properties": {
                    "ClusterName": ref("ClusterName"),
                    "NodegroupName": name,
                    "NodeRole": getatt("NodeInstanceRole", "Arn"),
                    "Subnets": ref("SubnetIds"),
                    "ScalingConfig": {
                        "MinSize": ref("MinSize"),
                        "DesiredSize": ref("DesiredSize"),
                        "MaxSize": ref("MaxSize"),
                    },
                    "InstanceTypes": [instance_type],
                    # no AmiType: the launch template's image is custom (EKS reports CUSTOM)
                    "CapacityType": "ON_DEMAND",
                    "LaunchTemplate": {
                        "Id": ref("LaunchTemplate"),
                        "Version": getatt("LaunchTemplate", "LatestVersionNumber"),
                    },
                    "Labels": {"role": "worker"},
                    "Taints": [{"Key": "dedicated", "Value": "infra", "Effect": "NO_SCHEDULE"}],
                },
            },
        },
        "Outputs": {
            "NodegroupRef": {"Value": ref("ManagedNodeGroup")},
            "NodegroupArn": {"Value": getatt("ManagedNodeGroup", "Arn")},
            "ImageId": {"Value": ref("ImageId")},
        },
    }


def root(urls: dict[str, str], cluster_name: str = "myeks") -> dict[str, Any]:
    """The root stack: network, control plane and one nodegroup child, wired by outputs."""
    return {
        "Parameters": {
            "DesiredSize": {"Type": "Number", "Default": 2},
            "EndpointPublicAccess": {"Type": "String", "Default": "true"},
            "EndpointPrivateAccess": {"Type": "String", "Default": "false"},
        },
        "Resources": {
            "NetworkStack": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": urls["network"]}},
            "ControlPlaneStack": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {
                    "TemplateURL": urls["control_plane"],
                    "Parameters": {
                        "VpcId": getatt("NetworkStack", "Outputs.VpcId"),
                        "SubnetIds": getatt("NetworkStack", "Outputs.SubnetIds"),
                        "ClusterName": cluster_name,
                        "EndpointPublicAccess": ref("EndpointPublicAccess"),
                        "EndpointPrivateAccess": ref("EndpointPrivateAccess"),
                    },
                },
            },
            "NodegroupNg1Stack": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {
                    "TemplateURL": urls["nodegroup"],
                    "Parameters": {
                        "ClusterName": getatt("ControlPlaneStack", "Outputs.ClusterName"),
                        "SubnetIds": getatt("NetworkStack", "Outputs.PrivateSubnetIds"),
                        "DesiredSize": ref("DesiredSize"),
                    },
                },
            },
        },
        "Outputs": {
            "ClusterName": {"Value": getatt("ControlPlaneStack", "Outputs.ClusterName")},
            "VpcId": {"Value": getatt("NetworkStack", "Outputs.VpcId")},
            "NodegroupArn": {"Value": getatt("NodegroupNg1Stack", "Outputs.NodegroupArn")},
        },
    }


def json_body(template: dict[str, Any]) -> str:
    return json.dumps(template)
