"""Rules for the quotas and limits AWS enforces later."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem
from eks_templates.config.rules._base import _ng, _warn, rule
from eks_templates.config.rules.nodegroups import qualified_name_problem
from eks_templates.names import STACK_TAG_CLUSTER

# =========================================================================== quotas and limits AWS enforces later

#
# Each of these passes the schema and the rules above, renders and lints clean, and
# then fails (or is throttled by a quota) in AWS twenty minutes into a deploy.

#: Amazon EKS service quotas, "Managed node groups per cluster": 30 by default,
#: adjustable (https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html).
EKS_NODEGROUPS_PER_CLUSTER = 30
#: Same page, "Nodes per managed node group": 450 by default, adjustable.
EKS_NODES_PER_NODEGROUP = 450
#: The root stack has one scaling parameter per nodegroup and no other, and a template
#: takes at most 200 parameters (CloudFormation quotas,
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
MAX_NODEGROUPS_IN_ONE_ROOT = 200
#: AWS API integers are 32-bit (the EKS API's NodegroupScalingConfig sizes are
#: ``Integer``, botocore's eks service model ``Capacity``/``ZeroCapacity``).
MAX_API_INTEGER = 2**31 - 1


@rule
def nodegroup_count(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    count = len(config.managed_node_groups)
    if count > MAX_NODEGROUPS_IN_ONE_ROOT:
        yield Problem(
            "managedNodeGroups",
            f"has {count} nodegroups; the root stack takes one scaling parameter per nodegroup and "
            f"CloudFormation allows {MAX_NODEGROUPS_IN_ONE_ROOT} parameters in a template: at most "
            f"{MAX_NODEGROUPS_IN_ONE_ROOT} nodegroups (EKS's default quota is {EKS_NODEGROUPS_PER_CLUSTER})",
        )
    elif count > EKS_NODEGROUPS_PER_CLUSTER:
        yield _warn(
            "managedNodeGroups",
            f"has {count} nodegroups, more than EKS's default quota 'Managed node groups per cluster' "
            f"({EKS_NODEGROUPS_PER_CLUSTER}); request an increase in Service Quotas (Amazon EKS) before "
            "deploying, or the nodegroups past the quota fail to create",
        )


@rule
def nodegroup_size_quota(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        too_big = False
        for field_name, value in (("desiredCapacity", ng.desired_capacity), ("minSize", ng.min_size),
                                  ("maxSize", ng.max_size)):
            if value > MAX_API_INTEGER:
                too_big = True
                yield Problem(_ng(i, field_name), f"{value} is larger than the EKS API takes "
                              f"(a 32-bit integer, at most {MAX_API_INTEGER}); EKS's default quota is "
                              f"{EKS_NODES_PER_NODEGROUP} nodes per nodegroup")
        if not too_big and ng.max_size > EKS_NODES_PER_NODEGROUP:
            yield _warn(
                _ng(i, "maxSize"),
                f"{ng.max_size} is above EKS's default quota 'Nodes per managed node group' "
                f"({EKS_NODES_PER_NODEGROUP}); request an increase in Service Quotas (Amazon EKS), or EKS "
                "refuses the size",
            )


#: Tags per resource: 50 on EC2, IAM, EKS, CloudWatch Logs, KMS and on a CloudFormation
#: stack ("Tag restrictions", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html;
#: IAM: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). Tags
#: with the aws: prefix (CloudFormation's aws:cloudformation:*) do not count.
MAX_TAGS = 50
#: IAM takes tag keys and values of letters, numbers, spaces and + - = . _ : / @ only
#: (IAM API reference, Tag: pattern ``[\p{L}\p{Z}\p{N}_.:/=+\-@]*``); metadata.tags and
#: deploy.tags reach the cluster's, the nodes' and the management host's IAM roles.
_IAM_TAG_EXTRA = set("_.:/=+-@")


def _iam_tag_text_ok(text: str) -> bool:
    import unicodedata

    return all(ch in _IAM_TAG_EXTRA or unicodedata.category(ch)[0] in "LZN" for ch in text)


@rule
def tags_on_resources(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """The tags a resource ends up with: its own (metadata.tags, plus the nodegroup's
    tags on a nodegroup, plus the Name and ELB-role tags this tool adds) and the stack
    tags (metadata.tags and deploy.tags), which CloudFormation copies to every
    resource it creates. Each set is checked against the 50-tag limit."""
    stack_keys = set(config.metadata.tags) | set(config.deploy.tags)
    # the Name tag, the subnets' ELB role tag, and the stack tag deploy adds (names.STACK_TAG_CLUSTER)
    own = {"Name", STACK_TAG_CLUSTER} | ({"kubernetes.io/role/elb"} if config.vpc.id is None else set())
    everywhere = stack_keys | own
    if len(config.metadata.tags) > MAX_TAGS or len(config.deploy.tags) > MAX_TAGS:
        pass  # one section alone is over: the tags rule says so
    elif len(everywhere) > MAX_TAGS:
        yield Problem(
            "metadata.tags" if config.metadata.tags else "deploy.tags",
            f"metadata.tags and deploy.tags (stack tags, which CloudFormation copies to every resource) and "
            f"the {len(own)} tag(s) this tool adds ({', '.join(sorted(own))}) give "
            f"{'a subnet' if config.vpc.id is None else 'a resource'} {len(everywhere)} tags; AWS allows {MAX_TAGS}: "
            "drop some",
        )
    else:
        for i, ng in enumerate(config.managed_node_groups):
            keys = stack_keys | set(ng.tags) | {"Name", STACK_TAG_CLUSTER}
            if ng.tags and len(ng.tags) <= MAX_TAGS and len(keys) > MAX_TAGS:
                yield Problem(
                    _ng(i, "tags"),
                    f"with metadata.tags, deploy.tags, the Name tag and {STACK_TAG_CLUSTER} the nodegroup and its "
                    "instances get "
                    f"{len(keys)} tags; AWS allows {MAX_TAGS}: drop some",
                )
    for section, tags in (("metadata.tags", config.metadata.tags), ("deploy.tags", config.deploy.tags)):
        if STACK_TAG_CLUSTER in tags:
            yield Problem(f"{section}.{STACK_TAG_CLUSTER}",
                          "is the stack tag deploy sets to the cluster's name (how `get clusters` finds the "
                          "stack); choose another key")
        for key, value in tags.items():
            for what, text in (("key", key), ("value", value)):
                if not _iam_tag_text_ok(text):
                    yield Problem(
                        f"{section}.{key}",
                        f"tag {what} {text!r} has characters IAM does not take on the roles these tags reach; "
                        "allowed: letters, numbers, spaces and + - = . _ : / @",
                    )
                    break


#: The EKS API's own limits on node labels and taints, tighter than Kubernetes' (botocore's
#: eks service model, CreateNodegroup: ``labelKey`` and ``taintKey`` 1 to 63 characters
#: with the prefix, ``labelValue`` 1 to 63, ``taintValue`` 0 to 63).
EKS_LABEL_KEY_MAX = 63


@rule
def eks_label_limits(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        for key, value in ng.labels.items():
            path = _ng(i, f"labels.{key}")
            if len(key) > EKS_LABEL_KEY_MAX and qualified_name_problem(key) is None:
                yield Problem(path, f"label key has {len(key)} characters; EKS takes node label keys of at "
                              f"most {EKS_LABEL_KEY_MAX}, prefix included (Kubernetes would allow more)")
            if value == "":
                yield Problem(path, "label value is empty; EKS takes node label values of 1 to 63 characters "
                              "(Kubernetes would allow an empty one)")
        for j, taint in enumerate(ng.taints):
            if len(taint.key) > EKS_LABEL_KEY_MAX and qualified_name_problem(taint.key) is None:
                yield Problem(_ng(i, f"taints[{j}].key"),
                              f"taint key has {len(taint.key)} characters; EKS takes taint keys of at most "
                              f"{EKS_LABEL_KEY_MAX}, prefix included (Kubernetes would allow more)")


@rule
def log_group(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """``cloudWatch.clusterLogging.logGroup: existing`` keeps a log group the stack does
    not own; what the stack would have set on it does not apply."""
    logging = config.cloud_watch.cluster_logging
    if logging.log_group != "existing":
        return
    path = "cloudWatch.clusterLogging"
    name = f"/aws/eks/{config.metadata.name}/cluster"
    if not logging.enable_types:
        yield _warn(f"{path}.logGroup", "is ignored: enableTypes is empty, so EKS writes no logs")
    elif "log_retention_in_days" in logging.fields_set:
        yield _warn(
            f"{path}.logRetentionInDays",
            f"is not applied with logGroup: existing (the stack does not own {name}); set it with "
            f"`aws logs put-retention-policy --log-group-name {name} --retention-in-days "
            f"{logging.log_retention_in_days}`",
        )
