"""The AWS regions this project deploys to, checked in so that synth needs no AWS call.

Only the commercial `aws` partition: the service principals, ARNs and model tables of this
project are written for it (China, GovCloud, ISO and the European Sovereign Cloud differ).

The number is how many Availability Zones a new account can use there. The network stack
selects its AZs with `Fn::GetAZs` (no context lookup), so asking for more AZs than the region
returns would fail only at deploy time; the config rejects it at synth instead.
"""

from __future__ import annotations

# Every commercial region offers at least three AZs to new accounts except us-west-1, where
# accounts created since 2013 see two of its three (AWS EC2 User Guide, "Regions and Zones").
_TWO_AZS = {"us-west-1"}

_COMMERCIAL_REGIONS = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)

USABLE_AZS: dict[str, int] = {region: (2 if region in _TWO_AZS else 3) for region in _COMMERCIAL_REGIONS}
"""Region code -> Availability Zones usable by a new account (capped at 3, the most we use)."""
