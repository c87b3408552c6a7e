"""A corpus of activations that are not built into actcli, with independently derived answers
(see activations.py), and the helpers the corpus and generative tests share."""
