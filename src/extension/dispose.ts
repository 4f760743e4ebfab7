/** A bag of disposables, after vscode-extension-samples' custom-editor-sample `Disposable`. */
import type * as vscode from 'vscode';

export abstract class Disposable implements vscode.Disposable {
  #disposed = false;
  readonly #disposables: vscode.Disposable[] = [];

  protected get isDisposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const disposable of this.#disposables.splice(0).reverse()) disposable.dispose();
  }

  protected register<T extends vscode.Disposable>(disposable: T): T {
    if (this.#disposed) disposable.dispose();
    else this.#disposables.push(disposable);
    return disposable;
  }
}
