"""The shop cluster the Kubernetes backend tests run against, on tests/k8s_standin.py."""

from __future__ import annotations

from k8s_standin import K8sStandin

BAD_IMAGE = "registry.acme.dev/shop/checkout:2.15.0"
PANIC = ["level=error msg=\"panic serving POST /api/v1/orders\"",
         "panic: runtime error: invalid memory address or nil pointer dereference"]


def seed_shop(standin: K8sStandin) -> None:
    """shop/checkout at revision 42 (crash-looping) after 39..41; shop/cart healthy."""
    standin.crashing_images.add(BAD_IMAGE)
    standin.logs_by_image[BAD_IMAGE] = (["level=info msg=\"checkout starting\""], PANIC)
    standin.create_deployment("shop", "checkout", image="registry.acme.dev/shop/checkout:2.13.4",
                              change="Add idempotency keys", first_revision=39)
    standin.deploy("shop", "checkout", image="registry.acme.dev/shop/checkout:2.14.0",
                   change="Switch tax calculation to taxd v2")
    standin.deploy("shop", "checkout", image="registry.acme.dev/shop/checkout:2.14.1",
                   change="Revert taxd v2 client")
    standin.deploy("shop", "checkout", image=BAD_IMAGE, change="Gift-card pricing")
    standin.create_deployment("shop", "cart", image="registry.acme.dev/shop/cart:3.1.0",
                              change="Initial", replicas=2)

