"""Mimiron's Gold-o-Matic: the Extension Backend Service (EBS) and its test platform."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mimirons-gold-o-matic")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"

SERVICE_NAME = "MimironsGoldOMatic.Ebs"
