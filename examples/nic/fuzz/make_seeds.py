#!/usr/bin/env python3
"""Writes the seed inputs of kemu_fuzz_nic into corpus/, one decision per byte in the order
emu/fuzz/decode.cpp reads them. Each seed is a readable program; the fuzzer mutates from there.

    python3 examples/nic/fuzz/make_seeds.py      # rewrites examples/nic/fuzz/corpus/*.bin
"""
import os

OS = ["win2000", "xp", "ws2003", "vista", "win7", "win8", "win8.1", "win10", "win11"]
ACTIONS = ["receive_frames", "stage_frames", "complete_transmit", "set_link", "get_statistics",
           "interrupt_after_calls"]
OPS = ["start", "stop", "action", "action2", "action3", "action4", "event", "event_after_calls",
       "raise_irql", "lower_irql", "run_dpcs", "processor", "stall_us", "advance_time"]
ROUTINES = ["IoConnectInterruptEx", "WdmlibIoConnectInterruptEx", "IoConnectInterrupt",
            "MmMapIoSpace", "ExAllocatePoolWithTag"]


def seed(os_name="win10", cpus=1, mode=0, machine_seed=0, schedule=None, line=True, irql=5,
         edge=False, shared=False, messages=0, foreign=0, faults=(), steps=()):
    b = [OS.index(os_name), cpus - 1, mode, machine_seed]
    if schedule is None:
        b.append(0)
    else:
        strategy, schedule_seed, depth = schedule
        b += [strategy, schedule_seed, depth - 1]
    b.append(1 if line else 0)
    if line:
        b += [irql - 3, int(edge), int(shared)]
    b.append(messages)
    if messages:
        b += [0, 0]  # MSI (not MSI-X), granted as asked
    b.append(foreign)
    for _ in range(foreign):
        if line and shared:
            b.append(1)  # on the driver's line
        else:
            b += [2, 0]
    b.append(len(faults))
    for routine, nth, count in faults:
        b += [ROUTINES.index(routine), 0, nth - 1, count, 0]
    b.append(len(steps))
    for step in steps:
        name, *args = step
        if name in ACTIONS:
            b += [OPS.index("action"), ACTIONS.index(name)]
            if name in ("receive_frames", "stage_frames"):
                count, length = args
                b += [count, (length - 1) & 0xFF, (length - 1) >> 8]
            elif name == "set_link":
                b.append(args[0])
            elif name == "interrupt_after_calls":
                b.append(args[0] - 1)
        elif name in ("assert", "deassert", "pulse"):
            device, after = args
            b.append(OPS.index("event_after_calls" if after else "event"))
            if foreign > 1:
                b.append(device)  # which neighbour (with one, no byte is read)
            b.append(["assert", "deassert", "pulse"].index(name))
            if after:
                b.append(after - 1)
        elif name == "raise_irql":
            b.append(OPS.index(name))  # from PASSIVE_LEVEL: then one byte picks APC or DISPATCH
            b.append(args[0] - 1)
        elif name == "lower_irql":
            b += [OPS.index(name), 0]  # from DISPATCH_LEVEL: one byte picks PASSIVE or APC
        elif name == "processor":
            b += [OPS.index(name), args[0]]
        elif name == "stall_us":
            b += [OPS.index(name), args[0] - 1]
        else:
            b.append(OPS.index(name))
    return bytes(b)


RX = [("start",), ("receive_frames", 3, 64), ("run_dpcs",), ("get_statistics",), ("stop",)]
SEEDS = {
    "receive_line_win10": seed(steps=RX),
    "receive_line_xp": seed(os_name="xp", steps=RX),
    "receive_msi_win10": seed(messages=4, steps=RX),
    "receive_edge_checked_win7": seed(os_name="win7", mode=1, edge=True, steps=RX),
    "receive_retail_win11": seed(os_name="win11", mode=2, steps=RX),
    "shared_line_neighbour": seed(shared=True, foreign=1, steps=[
        ("start",), ("assert", 0, 0), ("receive_frames", 1, 64), ("deassert", 0, 0),
        ("run_dpcs",), ("stop",)]),
    "connect_fails": seed(faults=[("IoConnectInterruptEx", 1, 1)], steps=[("start",), ("stop",)]),
    "map_fails_vista": seed(os_name="vista", faults=[("MmMapIoSpace", 1, 1)],
                            steps=[("start",), ("stop",)]),
    "interrupt_inside_statistics": seed(steps=[
        ("start",), ("stage_frames", 2, 64), ("interrupt_after_calls", 2), ("get_statistics",),
        ("run_dpcs",), ("stop",)]),
    "two_vcpus_random_schedule": seed(cpus=2, schedule=(1, 5, 2), steps=[
        ("start",), ("receive_frames", 2, 64), ("processor", 1), ("receive_frames", 1, 128),
        ("run_dpcs",), ("processor", 0), ("run_dpcs",), ("stop",)]),
    "link_and_transmit": seed(steps=[
        ("start",), ("set_link", 0), ("set_link", 1), ("complete_transmit",),
        ("receive_frames", 1, 1514), ("stall_us", 50), ("run_dpcs",), ("stop",)]),
    "dispatch_level_neighbour": seed(foreign=1, steps=[
        ("start",), ("raise_irql", 2), ("pulse", 0, 0), ("assert", 0, 2), ("lower_irql",),
        ("run_dpcs",), ("stop",)]),
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
