"""Write the small sample data set under examples/support-chat/ (deterministic; rerun to regenerate).

A support assistant for a fictional router, Contoso Wave: each intent has several phrasings of the question
and one canonical answer. Training, validation and holdout use different phrasings of the same intents, so a
fine-tuned model can be told apart from its base on the holdout.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SYSTEM = "You are Contoso Wave's support assistant. Answer in one or two short sentences."

INTENTS: list[tuple[list[str], str]] = [
    (
        [
            "How do I reset my router?",
            "What's the way to factory reset the Wave?",
            "Reset the router to defaults?",
            "My Wave needs a factory reset, how?",
        ],
        "Hold the recessed reset button for 10 seconds until the light blinks amber, then wait two minutes.",
    ),
    (
        [
            "What is the default Wi-Fi password?",
            "Where do I find the Wi-Fi key?",
            "Default wireless password?",
            "I lost the Wi-Fi password that came with the router.",
        ],
        "The default Wi-Fi password is printed on the label under the router, next to 'WPA key'.",
    ),
    (
        [
            "How do I update the firmware?",
            "Is there a firmware upgrade?",
            "Update the Wave's software?",
            "How can I get the latest firmware?",
        ],
        "Open the Wave app, go to Settings > System > Firmware and tap 'Check for updates'.",
    ),
    (
        [
            "The light is blinking red, what does it mean?",
            "Why is the LED red and flashing?",
            "Red blinking light on my router?",
            "What does a flashing red light mean?",
        ],
        "A blinking red light means no internet signal: check the cable to your modem and restart both devices.",
    ),
    (
        [
            "How do I set up a guest network?",
            "Can I create guest Wi-Fi?",
            "Guest network setup?",
            "I want a separate Wi-Fi for visitors.",
        ],
        "In the Wave app, open Wi-Fi > Guest network, switch it on and choose a name and password.",
    ),
    (
        [
            "How do I change the admin password?",
            "Change the router login password?",
            "Set a new admin password?",
            "How can I secure the admin page?",
        ],
        "Sign in at http://192.168.50.1, open Administration > Password and enter a new admin password.",
    ),
    (
        [
            "What is the warranty period?",
            "How long is the warranty?",
            "Is my router still under warranty?",
            "Warranty length for the Wave?",
        ],
        "The Contoso Wave has a two-year limited warranty from the date of purchase.",
    ),
    (
        [
            "How do I enable parental controls?",
            "Can I block sites for my kids?",
            "Parental controls setup?",
            "Limit internet time for children?",
        ],
        "In the Wave app, open Family > Parental controls, add a profile and assign your children's devices.",
    ),
    (
        [
            "Why is my Wi-Fi slow?",
            "Internet is slow on Wi-Fi, why?",
            "Slow wireless speed?",
            "My connection is sluggish over Wi-Fi.",
        ],
        "Move the router to a central, open spot and switch to the 5 GHz band in the Wave app for faster speed.",
    ),
    (
        [
            "How do I forward a port?",
            "Set up port forwarding?",
            "Open a port for my game server?",
            "Port forwarding on the Wave?",
        ],
        "Sign in at http://192.168.50.1, open Advanced > Port forwarding, add a rule with the device and port.",
    ),
    (
        [
            "Can I use the Wave as a mesh node?",
            "Does it support mesh?",
            "Add a second Wave as mesh?",
            "Mesh network with two routers?",
        ],
        "Yes: in the Wave app tap Add device > Mesh node and follow the steps with the second Wave nearby.",
    ),
    (
        [
            "How do I contact support?",
            "What's the support phone number?",
            "Talk to a human agent?",
            "How can I reach customer service?",
        ],
        "Call Contoso support at 0800 555 0199, weekdays 8:00 to 20:00, or chat in the Wave app.",
    ),
]


def _example(question: str, answer: str) -> dict[str, object]:
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def build() -> dict[str, list[dict[str, object]]]:
    """Training, validation and holdout examples: phrasings 0-1, 2 and 3 of every intent."""
    rng = random.Random(7)
    training = [_example(q, a) for qs, a in INTENTS for q in qs[:2]]
    training += [_example(qs[0].lower().rstrip("?") + ", please?", a) for qs, a in INTENTS]
    validation = [_example(qs[2], a) for qs, a in INTENTS]
    holdout = [_example(qs[3], a) for qs, a in INTENTS]
    rng.shuffle(training)
    return {"training": training, "validation": validation, "holdout": holdout}


def main() -> None:
    """Write the three files with a UTF-8 BOM, as the Azure docs ask."""
    folder = Path(__file__).resolve().parent.parent / "examples" / "support-chat"
    folder.mkdir(parents=True, exist_ok=True)
    for name, examples in build().items():
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples)
        (folder / f"{name}.jsonl").write_text("\ufeff" + text, encoding="utf-8")
        print(f"{folder.name}/{name}.jsonl: {len(examples)} examples")


if __name__ == "__main__":
    main()
