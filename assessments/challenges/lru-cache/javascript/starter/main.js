class LRUCache {
  constructor(capacity) {
    this.capacity = capacity;
    this.items = {};
  }

  get(key) {
    return this.items[key];
  }

  put(key, value) {
    this.items[key] = value;
  }
}

module.exports = { LRUCache };
