import { MemoryStore } from "../../../../src/lib/store/memory/store.js"
import { describeSessionsContract } from "../sessions-contract.js"
import { describeStoreContract } from "../store-contract.js"

describeStoreContract("MemoryStore", async () => new MemoryStore())
describeSessionsContract("MemoryStore", async () => new MemoryStore())
