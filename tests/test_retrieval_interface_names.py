"""Network interface names are followed by what they are before a search."""

from __future__ import annotations

from assistant.retrieval.interface_names import spell_out_interface_names


def test_kernel_and_udev_interface_names_are_marked_as_interfaces() -> None:
    assert spell_out_interface_names("ens3 link up/down, eth0.100 and bond0 too") == (
        "ens3 (network interface) link up/down, eth0.100 (network interface) and "
        "bond0 (network interface) too")
    assert spell_out_interface_names("enp0s31f6 drops") == (
        "enp0s31f6 (network interface) drops")


def test_words_and_longer_names_that_contain_one_stay() -> None:
    for question in ("the sdk, end1 and brb", "pod worker-eth0 logs /sys/class/eth0",
                     "eth is down", ""):
        assert spell_out_interface_names(question) == question
