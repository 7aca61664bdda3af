"""The instruction-tuning recipe and short real training runs of SmolLM2-135M on CPU."""

import json
from pathlib import Path

import pytest

from srllm.cli import main
from srllm.data.io import write_records
from srllm.data.schema import CMDRecord
from srllm.train.config import ConfigError, SFTRunConfig, build_config, load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_paper_config_has_the_paper_values():
    config = load_config(CONFIGS / "paper-llama2-7b-qlora.yaml")
    assert (config.method, config.lora_r, config.lora_alpha, config.lora_dropout) == ("qlora", 64, 16, 0.2)
    assert (config.learning_rate, config.optim, config.lr_scheduler_type) == (2e-4, "paged_adamw_32bit", "constant")
    assert (config.warmup_ratio, config.weight_decay, config.max_grad_norm) == (0.03, 0.001, 0.3)
    assert (config.per_device_train_batch_size, config.num_train_epochs, config.max_length) == (16, 1.0, 1024)
    assert (config.bnb_4bit_quant_type, config.bnb_4bit_use_double_quant, config.bnb_4bit_compute_dtype) == (
        "nf4", True, "float16")
    assert (config.eval_steps, config.save_steps, config.early_stopping_patience) == (25, 25, 3)
    assert config.model == "meta-llama/Llama-2-7b-chat-hf" and config.format == "llama2"


def test_cpu_config_loads_and_overrides_apply():
    config = load_config(CONFIGS / "rewriter-cpu.yaml", ["--max_steps", "10", "--lora-r", "8", "--target_modules",
                                                         "[q_proj, v_proj]"])
    assert config.model == "smollm2-135m-instruct" and config.method == "lora"
    assert (config.max_steps, config.lora_r, config.target_modules) == (10, 8, ["q_proj", "v_proj"])


@pytest.mark.parametrize("values,message", [
    ({"lora_rank": 8}, "unknown key 'lora_rank'; did you mean 'lora_r'"),
    ({"method": "dora"}, r"method: 'dora' is not allowed; expected one of \['lora', 'qlora'\]"),
    ({"lora_r": "big"}, "lora_r: expected int, got 'big'"),
    ({"lora_dropout": 1.5}, r"lora_dropout: must be in \[0.0, 1.0\)"),
    ({"save_steps": 30, "eval_steps": 25}, "save_steps .* must be a multiple of eval_steps"),
    ({"resume": "yes"}, "resume: expected bool"),
])
def test_bad_config_names_the_field(values, message):
    with pytest.raises(ConfigError, match=message):
        build_config(values)


def test_cli_reports_config_errors(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("lora_r: 8\nlearning_rat: 0.1\n")
    assert main(["train", "sft", "--config", str(bad)]) == 2
    assert "unknown key 'learning_rat'; did you mean 'learning_rate'" in capsys.readouterr().err
    assert main(["train", "sft", "--config", str(CONFIGS / "rewriter-cpu.yaml"), "--max_steps"]) == 2
    assert "expected '--key value' pairs" in capsys.readouterr().err


# --- real training runs on the packaged SmolLM2 (CPU) ---

def pair(i: int) -> CMDRecord:
    words = ["idiot", "moron", "fool", "clown"][i % 4]
    return CMDRecord.labelled(
        id=f"toy:{i}", text=f"you are a stupid {words} number {i}", bias="No", toxicity="Mild", sentiment="Negative",
        harm="Low", benign_variation=f"I disagree with you, person number {i}", source="toy", source_id=str(i),
        provenance="synthetic")


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    torch = pytest.importorskip("torch")
    pytest.importorskip("trl")
    torch.set_num_threads(2)
    folder = tmp_path_factory.mktemp("tiny")
    write_records([pair(i) for i in range(24)], folder / "train.jsonl")
    write_records([pair(100 + i) for i in range(4)], folder / "dev.jsonl")
    return folder


def tiny_config(corpus: Path, out: Path, **overrides) -> SFTRunConfig:
    values = dict(model="smollm2-135m-instruct", train_file=str(corpus / "train.jsonl"),
                  eval_file=str(corpus / "dev.jsonl"), output_dir=str(out), format="chat", max_length=128,
                  method="lora", lora_r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"],
                  optim="adamw_torch", learning_rate=1e-3, per_device_train_batch_size=2, per_device_eval_batch_size=4,
                  max_steps=2, eval_steps=1, save_steps=1, logging_steps=1, seed=0)
    values.update(overrides)
    return build_config(values)


def greedy(model, tokenizer, text: str) -> list[int]:
    import torch

    from srllm.prompts import sft_pair

    prompt, _ = sft_pair(tokenizer, text, "", "chat")
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**ids, max_new_tokens=8, do_sample=False)
    return out[0, ids["input_ids"].shape[1]:].tolist()


@pytest.fixture(scope="module")
def lora_run(tiny_corpus, tmp_path_factory):
    from srllm.train.sft import run_sft

    return run_sft(tiny_config(tiny_corpus, tmp_path_factory.mktemp("lora") / "run"))


def test_lora_trains_saves_and_reloads_to_identical_generations(lora_run):
    from peft import PeftModel

    from srllm.models import load_causal_lm

    result = lora_run
    run = json.loads((result.adapter_dir / "srllm_run.json").read_text())
    assert run["training"]["global_step"] == 2 and run["data"]["train_examples"] == 24
    assert run["format"] == "chat" and run["model"] == "smollm2-135m-instruct"
    assert run["performance"]["train_tokens_per_s"] > 0 and run["energy"]["energy_kwh"] > 0
    assert run["data"]["train_sha256"] and run["git"]["commit"]
    losses = [e["eval_loss"] for e in run["training"]["log_history"] if "eval_loss" in e]
    assert len(losses) == 2
    assert (result.adapter_dir / "adapter_model.safetensors").is_file()

    trained = result.model.eval()
    base, tokenizer = load_causal_lm("smollm2-135m-instruct")
    reloaded = PeftModel.from_pretrained(base, str(result.adapter_dir)).eval()
    text = "you are a stupid clown number 7"
    assert greedy(trained, tokenizer, text) == greedy(reloaded, tokenizer, text)


def test_qlora_4bit_runs_on_cpu(tiny_corpus, tmp_path):
    pytest.importorskip("bitsandbytes")
    from srllm.train.sft import run_sft

    result = run_sft(tiny_config(tiny_corpus, tmp_path / "q", method="qlora", max_steps=1, eval_steps=1, save_steps=1))
    details = result.run["model_details"]
    assert details["quantization"]["bits"] == 4 and details["quantization"]["type"] == "nf4"
    assert details["quantization"]["compute_dtype"] == "float32"  # CPU needs float32 compute
    assert result.run["training"]["global_step"] == 1


def test_resume_after_an_interruption(tiny_corpus, tmp_path):
    from transformers import TrainerCallback

    from srllm.train.sft import run_sft

    class Interrupt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise KeyboardInterrupt("simulated interruption")

    config = tiny_config(tiny_corpus, tmp_path / "r", max_steps=4, eval_steps=2, save_steps=2)
    with pytest.raises(KeyboardInterrupt):
        run_sft(config, callbacks=[Interrupt()])
    assert (tmp_path / "r" / "checkpoints" / "checkpoint-2").is_dir()
    result = run_sft(config)
    assert result.run["training"]["resumed_from"].endswith("checkpoint-2")
    assert result.run["training"]["global_step"] == 4


def test_package_ships_fp16_weights_and_a_model_card(lora_run, tmp_path):
    from safetensors.torch import load_file

    from srllm.train.package import package_adapter

    dest = package_adapter(lora_run.output_dir, tmp_path / "shipped")
    weights = load_file(str(dest / "adapter_model.safetensors"))
    assert weights and all(str(t.dtype) == "torch.float16" for t in weights.values())
    card = (dest / "MODEL_CARD.md").read_text()
    assert "LoRA r=4, alpha=8" in card and lora_run.run["data"]["train_sha256"] in card
    assert json.loads((dest / "adapter_config.json").read_text())["r"] == 4
    with pytest.raises(FileNotFoundError, match="no trained adapter"):
        package_adapter(tmp_path / "nothing", tmp_path / "x")
