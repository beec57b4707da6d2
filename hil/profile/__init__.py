"""Target profiles: a firmware under test as data (see ``hil.profile.model``)."""

from hil.profile.loader import ProfileError, load_profile, parse_profile, reference_chip
from hil.profile.model import OracleCheck, Pattern, Profile, Route

__all__ = [
    "OracleCheck",
    "Pattern",
    "Profile",
    "ProfileError",
    "Route",
    "load_profile",
    "parse_profile",
    "reference_chip",
]
