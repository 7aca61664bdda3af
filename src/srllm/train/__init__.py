"""Instruction tuning (LoRA / QLoRA on trl's SFTTrainer) and its recipe."""
