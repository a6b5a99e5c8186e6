"""inspect-ai task for the eval-loop benchmark: the synthetic GSM8K JSONL that ptb imported,
prompted the way ptb's gsm8k task (and inspect_evals' gsm8k) prompts — a 10-shot system message
built from the train split, the MATH_PROMPT_TEMPLATE user message — then generate() and
match(numeric=True), the original's scorer.

    GSM8K_DIR=/var/tmp/ptb-bench/gsm8k inspect eval inspect_gsm8k.py --model vllm/NAME --model-base-url URL ...

The few-shot examples are the first 10 train items (inspect_evals shuffles with seed 42; which
10 are chosen does not matter for throughput, only the prompt size does).
"""

import json
import os

from inspect_ai import Task, task
from inspect_ai.dataset import Sample, json_dataset
from inspect_ai.scorer import match
from inspect_ai.solver import generate, prompt_template, system_message

MATH_PROMPT_TEMPLATE = """
Solve the following math problem step by step. The last line of your response should be of the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem.

{prompt}

Remember to put your answer on its own line at the end in the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem, and you do not need to use a \\boxed command.

Reasoning:
""".strip()


def record_to_sample(record):
    split = record["answer"].split("####")
    return Sample(input=record["question"], target=split[-1].strip(),
                  metadata={"reasoning": "####".join(split[:-1]).strip()})


def fewshot(path, n=10):
    shots = []
    with open(path) as f:
        for line in f:
            s = record_to_sample(json.loads(line))
            shots.append(f"{s.input}\n\nReasoning:\n{s.metadata['reasoning']}\n\nANSWER: {s.target}")
            if len(shots) == n:
                break
    return "\n\n".join(shots)


@task
def gsm8k_bench():
    root = os.environ["GSM8K_DIR"]
    return Task(
        dataset=json_dataset(os.path.join(root, "test.jsonl"), record_to_sample),
        solver=[system_message(fewshot(os.path.join(root, "train.jsonl"))),
                prompt_template(MATH_PROMPT_TEMPLATE), generate()],
        scorer=match(numeric=True),
    )
