"""The conformance suite reuses the verification tests' real-adapter-against-real-simulator fixture."""

from tests.verification.conftest import sim_exchange

__all__ = ["sim_exchange"]
