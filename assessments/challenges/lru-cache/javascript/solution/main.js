// A Map from key to node of a doubly linked list, most recent first. (A Map alone, deleting
// its oldest key through keys().next(), is not O(1) in V8: iteration skips deleted slots.)
class LRUCache {
  constructor(capacity) {
    this.capacity = capacity;
    this.nodes = new Map();
    this.head = { prev: null, next: null };
    this.tail = { prev: this.head, next: null };
    this.head.next = this.tail;
  }

  unlink(node) {
    node.prev.next = node.next;
    node.next.prev = node.prev;
  }

  pushFront(node) {
    node.prev = this.head;
    node.next = this.head.next;
    this.head.next.prev = node;
    this.head.next = node;
  }

  get(key) {
    const node = this.nodes.get(key);
    if (node === undefined) return undefined;
    this.unlink(node);
    this.pushFront(node);
    return node.value;
  }

  put(key, value) {
    let node = this.nodes.get(key);
    if (node !== undefined) {
      node.value = value;
      this.unlink(node);
    } else {
      if (this.nodes.size >= this.capacity) {
        const oldest = this.tail.prev;
        this.unlink(oldest);
        this.nodes.delete(oldest.key);
      }
      node = { key, value, prev: null, next: null };
      this.nodes.set(key, node);
    }
    this.pushFront(node);
  }
}

module.exports = { LRUCache };
