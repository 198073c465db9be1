import { MemoryStore } from "../../../../src/lib/store/memory/store.js"
import { describeStoreContract } from "../store-contract.js"

describeStoreContract("MemoryStore", async () => new MemoryStore())
