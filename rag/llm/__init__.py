"""The local chat model: its bytes (``rag.llm.weights``) and its LangChain face
(``rag.llm.chat``). Both are optional: nothing here is imported unless ``local`` is asked for."""
